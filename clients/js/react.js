// tidings/react: React bindings for a tidings store. Needs React 18 or newer (peer dependency).

import { useCallback, useSyncExternalStore } from "react";

/**
 * The rows of `table` in `store`, re-rendering when they change. The store hands out the same
 * array until the table changes, as `useSyncExternalStore` requires.
 */
export function useRows(store, table) {
    const subscribe = useCallback((onChange) => store.subscribe(onChange), [store]);
    const snapshot = useCallback(() => store.rows(table), [store, table]);
    return useSyncExternalStore(subscribe, snapshot, snapshot);
}
