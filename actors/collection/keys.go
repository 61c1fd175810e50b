package collection

import (
	"fmt"

	"github.com/switchboard-voice/switchboard/resource"
)

// Storage key layout, shared with actors/agent (which writes collections
// and documents when provisioning): o/<org>/collection/<col>,
// o/<org>/doc/<col>/<doc>, and chunks under o/<org>/chunk/<col>/<doc>/.
// Ordinals are zero-padded so a prefix scan returns chunks in order.

func collectionPrefix(orgID string) string    { return "o/" + orgID + "/collection/" }
func collectionKey(orgID, id string) string   { return collectionPrefix(orgID) + id }
func documentPrefix(orgID, col string) string { return "o/" + orgID + "/doc/" + col + "/" }
func documentKey(orgID, col, id string) string {
	return documentPrefix(orgID, col) + id
}
func chunkPrefix(orgID, col string) string { return "o/" + orgID + "/chunk/" + col + "/" }
func chunkDocPrefix(orgID, col, doc string) string {
	return chunkPrefix(orgID, col) + doc + "/"
}
func chunkKey(orgID, col, doc string, ordinal int) string {
	return chunkDocPrefix(orgID, col, doc) + fmt.Sprintf("%06d", ordinal)
}

// storedDocument is the stored form of a document: the resource plus what
// ingest learned about it. Provisioned documents lack both fields.
type storedDocument struct {
	resource.Document
	ChunkCount int  `json:"chunkCount"`
	Ingested   bool `json:"ingested"`
}
