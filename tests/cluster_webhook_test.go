package tests

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Two nodes on one PostgreSQL database deliver 500 events: each exactly
// once, whichever node wrote it and whichever claimed it. The receiver
// takes 20ms per delivery, so both nodes' dispatchers are busy at once.
func TestClusterDeliversEachOf500WebhooksExactlyOnce(t *testing.T) {
	t.Parallel()
	rc := newHookReceiver(t)
	rc.slow = 20 * time.Millisecond
	c := startCluster(t, 2, withWebhook(rc, "events Register"))
	const events, workers = 500, 8
	client := &http.Client{Timeout: time.Minute}
	var wg sync.WaitGroup
	errs := make(chan string, events)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < events; i += workers {
				node := c.nodes[i%len(c.nodes)]
				body := fmt.Sprintf(`{"Email":[{"Type":"Primary","Value":"user%03d@example.com"}],"Password":"%s"}`, i, password)
				if h := send(client, "POST", node.base+apiPrefix+"/manage/account?"+node.manage(), body); h.status != 200 {
					errs <- fmt.Sprintf("create account %d on node %d: %d %v %s", i, i%2, h.status, h.err, h.body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}

	// Every event recorded delivered: from then on none can be sent again.
	conn, err := pgx.Connect(t.Context(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var total, delivered int
		if err := conn.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE state = 'delivered') FROM events`).Scan(&total, &delivered); err != nil {
			t.Fatal(err)
		}
		if total != events {
			t.Fatalf("the outbox holds %d events, want %d", total, events)
		}
		if delivered == events {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered within 2 minutes", delivered, events)
		}
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[string]int{}
	for _, d := range rc.all() {
		seen[d.header.Get("webhook-id")]++
		if err := verifyStandardWebhook(hookSecret, d.header, d.body); err != nil {
			t.Errorf("a delivery does not verify: %v", err)
		}
	}
	if len(seen) != events {
		t.Errorf("the receiver saw %d distinct webhook-ids, want %d", len(seen), events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("webhook-id %s was delivered %d times", id, n)
		}
	}
	// One node has at most 8 deliveries in flight: more at once means both
	// nodes were claiming from the same outbox.
	if p := rc.peak(); p <= 8 {
		t.Errorf("at most %d deliveries were in flight at once: only one node delivered", p)
	}
}
