/**
 * One reservation, atomic in Redis. KEYS: the sender's timeline (the instant
 * its next message may go, ms), its slow-down factor, its counter for the
 * current local day (or no third key: no daily limit).
 * ARGV: now (ms), spacing (ms between messages at full rate), wanted,
 * daily limit (or -1), counter ttl (ms), seed (the day's count from Postgres,
 * or -1 when not read yet).
 *
 * The timeline is GCRA's theoretical arrival time shared by every process:
 * a batch takes the next `count` slots after it, so whatever the number of
 * workers, slots are `spacing` apart and no second holds more than the rate.
 *
 * Returns {count, startAt, spacing}; {0} when the day's quota is spent;
 * {-1} when the day's counter is missing and must be seeded first.
 */
export const RESERVE_LUA = `
local now = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local seed = tonumber(ARGV[6])
local count = wanted
if limit >= 0 then
  local used = redis.call('GET', KEYS[3])
  if not used then
    if seed < 0 then return {-1} end
    redis.call('SET', KEYS[3], seed, 'PX', ttl)
    used = seed
  end
  local available = limit - tonumber(used)
  if available <= 0 then return {0} end
  if available < count then count = available end
end
local factor = tonumber(redis.call('GET', KEYS[2]) or '1')
local step = spacing * factor
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local finish = start + count * step
redis.call('SET', KEYS[1], string.format('%.3f', finish), 'PX', math.ceil(finish - now) + 60000)
if limit >= 0 then redis.call('INCRBY', KEYS[3], count) end
return {count, string.format('%.3f', start), string.format('%.3f', step)}
`;

/** Gives back reserved, unattempted messages to the day's counter, never below zero. */
export const REFUND_LUA = `
local used = redis.call('GET', KEYS[1])
if not used then return 0 end
local back = math.min(tonumber(used), tonumber(ARGV[1]))
redis.call('DECRBY', KEYS[1], back)
return back
`;

/** The day's count, seeded when missing (SET NX: a concurrent seed or reservation wins). */
export const SEED_LUA = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX')
return tonumber(redis.call('GET', KEYS[1]))
`;
