package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// floodResult is the memory a Caddy process used under a token flood.
type floodResult struct {
	Tokens    int
	Elapsed   time.Duration
	IdleRSS   int64 // before the flood
	PeakRSS   int64 // the kernel's high-water mark (VmHWM) at the end
	SampleMax int64 // the largest VmRSS seen while sampling
	FinalRSS  int64
	// Mem is the Go runtime's view at the end (from Caddy's /debug/vars).
	Mem goMem
	// MemLimit is the GOMEMLIMIT Caddy ran with ("": none).
	MemLimit string
}

// label names the flood's GC setting.
func (f *floodResult) label() string {
	if f.MemLimit == "" {
		return "Go's default GC (GOGC=100, no GOMEMLIMIT)"
	}
	return "GOMEMLIMIT=" + f.MemLimit
}

// goMem is the part of runtime.MemStats that explains an RSS.
type goMem struct {
	HeapAlloc    uint64
	HeapInuse    uint64
	HeapIdle     uint64
	HeapReleased uint64
	HeapSys      uint64
	Sys          uint64
	NextGC       uint64
	NumGC        uint32
}

// goMemStats reads memstats from Caddy's admin /debug/vars.
func goMemStats(admin string) (goMem, error) {
	resp, err := http.Get(admin + "/debug/vars")
	if err != nil {
		return goMem{}, err
	}
	defer resp.Body.Close()
	var vars struct {
		Memstats goMem `json:"memstats"`
	}
	err = json.NewDecoder(resp.Body).Decode(&vars)
	return vars.Memstats, err
}

// saveURL writes the body of a GET to path.
func saveURL(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// flood sends every token once, over conns keep-alive connections, to url
// and records the Caddy process's memory. Every request must succeed: a
// rejected token would not exercise the caches.
func flood(ctx context.Context, url string, tokens []string, conns, pid int) (floodResult, error) {
	res := floodResult{Tokens: len(tokens)}
	var err error
	if res.IdleRSS, _, err = procMemory(pid); err != nil {
		return res, err
	}
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				if rss, _, err := procMemory(pid); err == nil && rss > res.SampleMax {
					res.SampleMax = rss
				}
			}
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}, Timeout: 30 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && failed.Load() == 0 {
				j := int(next.Add(1) - 1)
				if j >= len(tokens) {
					return
				}
				if err := floodOne(client, url, tokens[j]); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	close(stopSampling)
	sampler.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if failed.Load() > 0 {
		return res, fmt.Errorf("flood: %v", firstErr.Load())
	}
	res.FinalRSS, res.PeakRSS, err = procMemory(pid)
	return res, err
}

func floodOne(client *http.Client, url, token string) error {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
