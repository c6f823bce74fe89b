/** The common schema: one definition, every derived view. */
export * from './columns.js';
export * from './vocabulary.js';
export * from './record.js';
export * from './parquet.js';
export * from './glue.js';
export * from './docs.js';
export * from './limits.js';
export * from './lake-layout.js';
export * from './validate.js';
export * from './integrity.js';
export * from './integrity-table.js';
export * from './objects.js';
