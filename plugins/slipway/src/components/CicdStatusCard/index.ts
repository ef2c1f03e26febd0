export { CicdStatusCard } from './CicdStatusCard';
