package opus

// SetBitrateForTest changes the libopus bitrate behind the Encoder's back, so
// a test can check that Reset restores the configured one.
func (e *Encoder) SetBitrateForTest(bitrate int) error { return e.enc.SetBitrate(bitrate) }
