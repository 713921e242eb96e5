package notifytest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Email is a received message taken apart as a mail client would.
type Email struct {
	// Subject, From and To are the decoded headers.
	Subject, From, To string
	// ContentType is the top-level media type.
	ContentType string
	// Text and HTML are the decoded text/plain and text/html parts.
	Text, HTML string
}

// ParseEmail parses a message: its headers (RFC 2047 words decoded) and
// its body, a single text part or multipart/alternative, with every
// transfer encoding undone.
func ParseEmail(data []byte) (Email, error) {
	var e Email
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return e, err
	}
	dec := new(mime.WordDecoder)
	if e.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return e, err
	}
	e.From, e.To = msg.Header.Get("From"), msg.Header.Get("To")
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return e, err
	}
	e.ContentType = mt
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decodePart(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return e, err
		}
		return e, e.setPart(mt, body)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return e, nil
		}
		if err != nil {
			return e, err
		}
		pt, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			return e, err
		}
		body, err := decodePart(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return e, err
		}
		if err := e.setPart(pt, body); err != nil {
			return e, err
		}
	}
}

func (e *Email) setPart(mediaType, body string) error {
	switch mediaType {
	case "text/plain":
		e.Text = body
	case "text/html":
		e.HTML = body
	default:
		return fmt.Errorf("unexpected part %s", mediaType)
	}
	return nil
}

// decodePart undoes a Content-Transfer-Encoding.
func decodePart(r io.Reader, encoding string) (string, error) {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: r})
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

// newlineSkipper drops CR and LF, which base64 bodies wrap lines with.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
