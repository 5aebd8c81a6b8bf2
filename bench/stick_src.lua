-- wrk script for the `track-sc0 src` scenarios: every request carries
-- `x-src: 10.<a>.<b>.<c>` over 100,000 addresses (each wrk thread and
-- connection walks the cycle from its own offset); the proxy makes it the
-- request's source with `http-request set-src hdr(x-src)`, so an `ip`
-- table tracks 100,000 distinct client addresses.
local n = 0
local keys = 100000

function setup(thread)
  thread:set("offset", math.random(0, keys - 1))
end

function init(args)
  n = tonumber(offset) or 0
end

function request()
  n = (n + 1) % keys
  local ip = string.format("10.%d.%d.%d", math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)
  return wrk.format(nil, nil, { ["x-src"] = ip })
end
