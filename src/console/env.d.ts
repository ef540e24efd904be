// Vite bundles the stylesheet the entry imports; TypeScript only needs to know the import exists.
declare module '*.css';
