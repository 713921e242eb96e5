-- PIN logins: each request takes the next session_token of this thread's
-- file (<prefix>.<id>) round robin. args: <prefix> <path> <pin>, where
-- path ends in "session_token=".
local tokens, n, i, path, body = {}, 0, 0, "", ""
wrapped = 0

function init(args)
	for line in io.lines(args[1] .. "." .. id) do
		n = n + 1
		tokens[n] = line
	end
	path = args[2]
	body = '{"pin":"' .. args[3] .. '"}'
end

function request()
	i = i % n + 1
	return wrk.format("POST", path .. tokens[i], {["Content-Type"] = "application/json"}, body)
end
