package notify

import (
	"context"
	"testing"

	"go.uber.org/zap"
)

func TestQueueWithoutWorkersHoldsItsJobsUntilTaken(t *testing.T) {
	t.Parallel()
	q := NewQueue(zap.NewNop(), 0)
	defer q.Close()
	if !q.Idle() {
		t.Fatal("a new queue is not idle")
	}
	ran := 0
	for range 3 {
		if !q.Reserve() {
			t.Fatal("Reserve refused on an empty queue")
		}
		q.Push(Job{Run: func(context.Context) { ran++ }})
	}
	if q.Idle() {
		t.Fatal("a queue holding jobs is idle")
	}
	for range 3 {
		j, ok := q.Take()
		if !ok {
			t.Fatal("Take found no job")
		}
		j.Run(t.Context())
	}
	if _, ok := q.Take(); ok || ran != 3 || !q.Idle() {
		t.Fatalf("after taking every job: ran %d, idle %v", ran, q.Idle())
	}
}

func TestQueueRefusesPlacesWhenFullOrClosed(t *testing.T) {
	t.Parallel()
	q := NewQueue(zap.NewNop(), 0)
	for range sendQueueSize {
		if !q.Reserve() {
			t.Fatal("Reserve refused below the queue's size")
		}
	}
	if q.Reserve() {
		t.Fatal("Reserve took a place beyond the queue's size")
	}
	q.Release()
	if !q.Reserve() {
		t.Fatal("Reserve refused the place Release gave back")
	}
	q.Close()
	if q.Reserve() {
		t.Fatal("Reserve took a place in a closed queue")
	}
}

func TestQueueWorkersDeliverBeforeCloseReturns(t *testing.T) {
	t.Parallel()
	q := NewQueue(zap.NewNop(), DefaultWorkers)
	done := make(chan struct{}, 4)
	for range 4 {
		if !q.Reserve() {
			t.Fatal("Reserve refused")
		}
		q.Push(Job{Timeout: DefaultSendTimeout, Run: func(ctx context.Context) {
			if ctx.Err() == nil {
				done <- struct{}{}
			}
		}})
	}
	q.Close()
	if len(done) != 4 || !q.Idle() {
		t.Fatalf("%d of 4 jobs delivered by Close, idle %v", len(done), q.Idle())
	}
}
