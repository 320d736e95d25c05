/** @module realtime/hub-context — what the hub's parts receive: the application context without the hub. */
import type { AppContext } from '../context.js';

export type HubContext = Omit<AppContext, 'hub'>;
