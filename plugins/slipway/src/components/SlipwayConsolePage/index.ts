export { SlipwayConsolePage } from './SlipwayConsolePage';
