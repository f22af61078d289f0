package crawler

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
)

func TestNewBudget(t *testing.T) {
	tests := []struct {
		name           string
		limit, maxBody int64
		wantErr        string
	}{
		{"default", DefaultBodyMemory, DefaultMaxBody, ""},
		{"exactly one body", 5 << 20, 5 << 20, ""},
		{"less than one body", 4 << 20, 5 << 20, "crawler: body memory 4 MiB is less than the largest body, 5 MiB"},
		{"no body", 1 << 20, 0, "crawler: body memory 1 MiB is less than the largest body, 0 B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBudget(tt.limit, tt.maxBody)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.wantErr {
				t.Errorf("NewBudget(%d, %d) = %q, want %q", tt.limit, tt.maxBody, got, tt.wantErr)
			}
		})
	}
}

// TestReservationGrowTo grows reservations one after the other on a
// budget of 12 bytes for bodies of at most 4: 2 held back for judging, 6
// in the pool and 4 in the reserve. Nothing here waits: a step that would is cut short by a
// cancelled context.
func TestReservationGrowTo(t *testing.T) {
	type step struct {
		res     int   // which reservation
		to      int64 // GrowTo's argument; 0 releases it
		wantErr bool
		// wantSize is the reservation's size after the step, wantInUse the
		// budget's.
		wantSize, wantInUse int64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"grows within the pool", []step{
			{0, 2, false, 2, 2}, {0, 4, false, 4, 4}, {0, 3, false, 4, 4},
		}},
		{"the pool spent, the reserve taken", []step{
			{0, 4, false, 4, 4}, {1, 4, false, 4, 8}, {2, 3, true, 0, 8}, {2, 2, false, 2, 10},
		}},
		{"the reserve's owner grows past the pool", []step{
			{0, 4, false, 4, 4}, {1, 2, false, 2, 6}, {1, 4, false, 4, 8},
		}},
		{"a release frees both", []step{
			{0, 4, false, 4, 4}, {1, 4, false, 4, 8}, {1, 0, false, 0, 4}, {2, 4, false, 4, 8}, {0, 0, false, 0, 4},
		}},
		{"past the largest body", []step{
			{0, 5, true, 0, 0},
		}},
		{"a released reservation", []step{
			{0, 1, false, 1, 1}, {0, 0, false, 0, 0}, {0, 2, true, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBudget(12, 4)
			if err != nil {
				t.Fatal(err)
			}
			rs := []*Reservation{b.Open(), b.Open(), b.Open()}
			cancelled, cancel := context.WithCancel(context.Background())
			cancel()
			for i, s := range tt.steps {
				r := rs[s.res]
				if s.to == 0 {
					r.Release()
				} else if err := r.GrowTo(cancelled, s.to); (err != nil) != s.wantErr {
					t.Fatalf("step %d: GrowTo(%d) = %v, want error %v", i, s.to, err, s.wantErr)
				}
				if r.Size() != s.wantSize || b.InUse() != s.wantInUse {
					t.Fatalf("step %d: size %d, in use %d; want %d, %d", i, r.Size(), b.InUse(), s.wantSize, s.wantInUse)
				}
			}
		})
	}
}

func TestNilBudget(t *testing.T) {
	var b *Budget
	r := b.Open()
	if err := r.GrowTo(context.Background(), 1<<40); err != nil || r.Size() != 0 || b.Waits() != 0 {
		t.Errorf("a nil budget's reservation: GrowTo = %v, size %d", err, r.Size())
	}
	r.Release()
}

// TestBudgetNoDeadlock has bodies that each hold part of the budget and
// all want more than is free: each must wait while holding what it has,
// and every one must still finish, in turn, without a cancelled context
// or a timer to break a deadlock. The budget (9 bytes for bodies of at
// most 4: 1 held back for judging, a pool of 4 and the reserve) is first spent by two bodies of 2 bytes, and a
// third of 4 owns the reserve; then the first two grow to 4, which the
// pool cannot give them both.
func TestBudgetNoDeadlock(t *testing.T) {
	b, err := NewBudget(9, 4)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	small := []*Reservation{b.Open(), b.Open()}
	for _, r := range small {
		if err := r.GrowTo(ctx, 2); err != nil {
			t.Fatal(err)
		}
	}
	big := b.Open()
	if err := big.GrowTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 8 {
		t.Fatalf("in use %d, want 8", b.InUse())
	}
	var wg sync.WaitGroup
	finished := make(chan int, len(small))
	for i, r := range small {
		wg.Go(func() {
			if err := r.GrowTo(ctx, 4); err != nil {
				t.Error(err)
			}
			finished <- i
			r.Release() // judged: gives the memory on
		})
	}
	// Neither can grow before the reserve's owner is done; when it is,
	// one takes the reserve, finishes and releases, and the other grows
	// from what it freed.
	for b.Waits() < 2 {
		runtime.Gosched()
	}
	big.Release()
	wg.Wait()
	close(finished)
	n := 0
	for range finished {
		n++
	}
	if n != 2 || b.InUse() != 0 {
		t.Errorf("%d bodies finished, %d bytes in use; want 2, 0", n, b.InUse())
	}
}

// TestBudgetWaitCancelled checks that a wait ends with its context.
func TestBudgetWaitCancelled(t *testing.T) {
	b, err := NewBudget(4, 4)
	if err != nil {
		t.Fatal(err)
	}
	owner := b.Open()
	if err := owner.GrowTo(context.Background(), 4); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	r := b.Open()
	go func() { done <- r.GrowTo(ctx, 1) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("GrowTo after cancel = %v, want context.Canceled", err)
	}
	owner.Release()
	if b.InUse() != 0 {
		t.Errorf("in use %d after the releases, want 0", b.InUse())
	}
}
