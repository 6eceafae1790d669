export declare function routeServices(route: { tokenUrl: string; apiOrigin: string; fetch?: typeof globalThis.fetch }): {
  fetch: typeof globalThis.fetch;
  restore(): void;
};
