/** Where the pipeline writes what a person reads in the job log. `core` implements it at the edge. */
export interface Log {
  info(message: string): void
  warning(message: string): void
  error(message: string): void
  group<T>(title: string, fn: () => Promise<T>): Promise<T>
}
