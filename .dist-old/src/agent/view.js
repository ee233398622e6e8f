/**
 * What the API and the metrics read of a running agent. agent.ts implements it; api.ts and
 * metrics.ts depend on this interface, not on the Agent class (which builds them): no cycle.
 */
export {};
//# sourceMappingURL=view.js.map