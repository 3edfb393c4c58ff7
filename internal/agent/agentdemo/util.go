package agentdemo

import (
	"bytes"
	"io"

	"github.com/lifeline-project/lifeline/internal/fleet/protocol"
)

// fleetProtocolHeartbeat is the heartbeat the fleet client sends.
type fleetProtocolHeartbeat = protocol.Heartbeat

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func trimSpace(b []byte) []byte { return bytes.TrimSpace(b) }
