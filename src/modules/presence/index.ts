export { default as presencePlugin, type Presence, type PresenceStatus } from './plugin.js'
export { PRESENCE_VISIBILITIES, type PresenceVisibility } from './visibility.js'
