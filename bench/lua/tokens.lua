-- Each request carries the next token of this thread's file (<prefix>.<id>,
-- one token a line), so no token is sent twice. args: <prefix>. Running
-- out wraps around, counted in "wrapped" (the Go side then rejects the
-- round: tokens would repeat and hit the cache).
local tokens, n, i = {}, 0, 0
wrapped = 0

function init(args)
	for line in io.lines(args[1] .. "." .. id) do
		n = n + 1
		tokens[n] = line
	end
end

function request()
	i = i + 1
	if i > n then
		i = 1
		wrapped = wrapped + 1
	end
	return wrk.format(nil, nil, {Authorization = "Bearer " .. tokens[i]})
end
