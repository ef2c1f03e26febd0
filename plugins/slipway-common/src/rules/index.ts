export * from './appNames';
export * from './rollback';
export * from './limits';
