export { default as metricsPlugin } from './plugin.js'
