const HEROKU_POOL = 4500
// "Tokens are added to the account pool at a rate of roughly 75 per minute" (reference §1.2).
const REFILL_PER_MS = 75 / 60_000

/** Heroku's per-account token pool: each API call takes one token, tokens trickle back continuously. */
export class RateLimiter {
  private tokens: number
  private readonly capacity: number
  private updatedAt: number

  constructor(
    initial: number = HEROKU_POOL,
    private readonly now: () => number = Date.now
  ) {
    this.tokens = Math.max(0, initial)
    this.capacity = Math.max(HEROKU_POOL, initial)
    this.updatedAt = now()
  }

  /** What RateLimit-Remaining reports. */
  remaining(): number {
    this.refill()
    return Math.floor(this.tokens)
  }

  /** Takes a token; false when the pool is empty (the call must answer 429). */
  take(): boolean {
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  private refill(): void {
    const now = this.now()
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * REFILL_PER_MS)
    this.updatedAt = now
  }
}
