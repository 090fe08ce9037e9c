import type { Row, Store } from "./tidings.js";

/** The rows of `table` in `store`, re-rendering when they change (React 18+). */
export function useRows<R extends Row = Row>(store: Store, table: string): readonly R[];
