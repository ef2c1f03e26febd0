export * from './services';
export * from './catalogAndPermissions';
