export { HealthPanel } from './HealthPanel';
