/**
 * Runs `task` on every item, at most `limit` at a time, in the items' order. Every started task
 * runs to its end (one failing never stops the others); once all are done, the first error is
 * rethrown. Once `stop` is aborted no further task starts; the caller marks what never started.
 */
export async function inPool<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>, stop?: AbortSignal): Promise<void> {
  let next = 0
  const errors: unknown[] = []
  const worker = async (): Promise<void> => {
    while (next < items.length && !stop?.aborted) {
      const index = next++
      try {
        await task(items[index], index)
      } catch (error) {
        errors.push(error)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  if (errors.length > 0) throw errors[0]
}
