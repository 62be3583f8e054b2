export * from './clinical';
export * from './compose';
export * from './links';
export * from './segments';
export * from './templates';
export * from './textFields';
export * from './texts';
