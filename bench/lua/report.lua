-- Shared by every wrk script of the bench: numbers each thread (its id
-- selects its token file) and prints one machine-readable result line.
threads = {}

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

function done(summary, latency, requests)
	local wrapped = 0
	for _, t in ipairs(threads) do
		wrapped = wrapped + (t:get("wrapped") or 0)
	end
	local e = summary.errors
	io.write(string.format(
		'BENCHJSON {"requests":%d,"duration_us":%d,"errors_connect":%d,"errors_read":%d,' ..
		'"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"p50_us":%.1f,"p90_us":%.1f,' ..
		'"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f,"wrapped":%d}\n',
		summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90), latency:percentile(99),
		latency.mean, latency.max, wrapped))
end
