package memory_test

import (
	"testing"

	"github.com/switchboard-voice/switchboard/storage"
	"github.com/switchboard-voice/switchboard/storage/memory"
	"github.com/switchboard-voice/switchboard/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) storage.Store { return memory.New() })
}

func BenchmarkStore(b *testing.B) {
	storagetest.Bench(b, func(*testing.B) storage.Store { return memory.New() })
}
