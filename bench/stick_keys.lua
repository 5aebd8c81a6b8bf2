-- wrk script for the stick-table scenarios: every request carries
-- `x-key: k<n>`, n cycling over 100,000 values (each wrk thread and each
-- connection walks the same cycle from its own offset), so a tracking
-- table sees 100,000 distinct keys over and over.
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
  return wrk.format(nil, nil, { ["x-key"] = "k" .. n })
end
