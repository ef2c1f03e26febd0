export * from './services';
export * from './catalogAndPermissions';
export * from './database';
