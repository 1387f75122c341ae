import { backoffDelay, withRetry } from '../../src/util/retry.js'
import { CancelledError, Deadline, TimeoutError } from '../../src/util/time.js'

const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 40 }

test('backoff doubles up to the cap, with jitter in the upper half of each step', () => {
  expect(backoffDelay(policy, 1, () => 0)).toBe(5)
  expect(backoffDelay(policy, 1, () => 1)).toBe(10)
  expect(backoffDelay(policy, 3, () => 1)).toBe(40)
  expect(backoffDelay(policy, 9, () => 1)).toBe(40)
  expect(backoffDelay(policy, 9, () => 0)).toBe(20)
})

test('retries transient failures until one succeeds', async () => {
  const seen: number[] = []
  const value = await withRetry(
    async (attempt) => {
      seen.push(attempt)
      if (attempt < 3) throw new Error('503')
      return 'ok'
    },
    { ...policy, retryDelay: () => 1 }
  )
  expect(value).toBe('ok')
  expect(seen).toEqual([1, 2, 3])
})

test('gives up after the last attempt with the last error', async () => {
  let calls = 0
  await expect(withRetry(async () => Promise.reject(new Error(`fail ${++calls}`)), { ...policy, retryDelay: () => 1 })).rejects.toThrow('fail 4')
})

test('does not retry an error the policy refuses', async () => {
  let calls = 0
  await expect(withRetry(async () => Promise.reject(new Error(`404 ${++calls}`)), { ...policy, retryDelay: () => undefined })).rejects.toThrow('404 1')
})

test('a cancel during the backoff stops at once', async () => {
  const controller = new AbortController()
  const started = Date.now()
  setTimeout(() => controller.abort(), 20)
  await expect(withRetry(async () => Promise.reject(new Error('x')), { ...policy, retryDelay: () => 10_000, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError)
  expect(Date.now() - started).toBeLessThan(5000)
})

test('a deadline bounds the waiting', async () => {
  const deadline = new Deadline(30, 'The test')
  await expect(withRetry(async () => Promise.reject(new Error('x')), { ...policy, retryDelay: () => 10_000, deadline })).rejects.toBeInstanceOf(TimeoutError)
})
