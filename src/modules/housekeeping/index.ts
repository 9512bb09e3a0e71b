export { default as housekeepingPlugin, HOUSEKEEPING_QUEUE, type Housekeeping } from './plugin.js'
export { TASKS as HOUSEKEEPING_TASKS, type TaskName as HousekeepingTask } from './tasks.js'
