export * from './content';
export * from './types';
