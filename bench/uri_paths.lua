-- wrk script for `balance-uri`: every request asks for /u/<dir>/<n>, n
-- cycling over 100,000 values and dir over 37, so that `balance uri`
-- hashes many distinct paths (each thread walks from its own offset).
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
  return wrk.format(nil, "/u/d" .. (n % 37) .. "/f" .. n)
end
