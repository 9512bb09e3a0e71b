export { default as channelsPlugin } from './plugin.js'
export { default as channelRoutes } from './routes.js'
export { createChannelService, type ChannelService } from './service.js'
