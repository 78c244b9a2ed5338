"""Hourly query-cost budgets, GitHub-style: each key (a token, or the client address of an anonymous
caller) may spend ``limit`` points per window; the window starts with the key's first request.

In-process by default; in Redis when ``EXCHANGE_REDIS_URL`` is set, so several workers (and several
machines) share one budget. A request that would overspend is refused whole and charges nothing.
If Redis is unreachable the request is let through and the failure logged: an outage of the
rate-limit store must not take the exchange down (``/readyz`` reports it).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any

from schema.cost import Budget
from schema.cost import RateLimiter as RateLimiter  # the port, beside the Budget it charges

log = logging.getLogger("exchange.ratelimit")


def _decision(limit: int, used: int, allowed: bool, reset_in: int, now: float) -> Budget:
    reset_in = max(1, reset_in)
    return Budget(
        limit=limit,
        remaining=max(0, limit - used),
        reset_at=int(now) + reset_in,
        allowed=allowed,
        retry_after=0 if allowed else reset_in,
    )


class MemoryRateLimiter:
    """One process's budgets; bounded (least recently used keys are forgotten first)."""

    name = "memory"

    def __init__(self, limit: int, window: int = 3600, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._used: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key -> (reset, used)

    async def charge(self, key: str, points: int) -> Budget:
        now = time.time()
        reset, used = self._used.get(key, (0.0, 0))
        if reset <= now:
            reset, used = now + self.window, 0
        allowed = used + points <= self.limit
        if allowed:
            used += points
        self._used[key] = (reset, used)
        self._used.move_to_end(key)
        while len(self._used) > self.max_keys:
            self._used.popitem(last=False)
        return _decision(self.limit, used, allowed, int(reset - now + 0.999), now)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


# KEYS[1] budget key; ARGV: points, limit, window. Returns {allowed, used, ttl}.
_CHARGE = """
local points = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local used = redis.call('INCRBY', KEYS[1], points)
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
if used > limit then
  used = redis.call('DECRBY', KEYS[1], points)
  return {0, used, ttl}
end
return {1, used, ttl}
"""


class RedisRateLimiter:
    """Budgets shared by every worker: one Redis key per caller, updated atomically (Lua)."""

    name = "redis"

    def __init__(self, url: str, limit: int, window: int = 3600, prefix: str = "dbvx") -> None:
        import redis.asyncio as aioredis

        self.limit = limit
        self.window = window
        self.prefix = f"{prefix}:budget:"
        self._redis: Any = aioredis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, health_check_interval=30
        )
        self._script: Any = self._redis.register_script(_CHARGE)

    async def charge(self, key: str, points: int) -> Budget:
        now = time.time()
        try:
            allowed, used, ttl = await self._script(
                keys=[self.prefix + key], args=[points, self.limit, self.window]
            )
        except Exception as exc:  # the store is down: serve, and say so in the logs
            log.error("rate-limit store unavailable (%s): request not charged", type(exc).__name__)
            return _decision(self.limit, 0, True, self.window, now)
        return _decision(self.limit, int(used), bool(allowed), int(ttl), now)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def open_limiter(
    redis_url: str | None, limit: int, window: int = 3600, prefix: str = "dbvx"
) -> RateLimiter | None:
    """None when budgets are off (limit 0)."""
    if limit <= 0:
        return None
    if redis_url:
        return RedisRateLimiter(redis_url, limit, window, prefix)
    return MemoryRateLimiter(limit, window)
