export { default as signalPlugin } from './plugin.js'
