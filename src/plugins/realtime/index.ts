export { default } from './plugin.js'
export * from './plugin.js'
