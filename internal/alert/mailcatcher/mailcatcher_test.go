package mailcatcher_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-project/lifeline/internal/alert/mailcatcher"
)

func TestCatchAndShow(t *testing.T) {
	mc, err := mailcatcher.Start(mailcatcher.Config{Keep: 2}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	for i, subj := range []string{"eins", "zwei", "=?utf-8?q?K=C3=BChlschrank_<b>?="} {
		body := "Subject: " + subj + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNachricht " + string(rune('1'+i)) + "\r\n"
		if err := smtp.SendMail(mc.Addr(), nil, "a@lifeline.test", []string{"b@lifeline.test"}, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if !mc.WaitCount(3, 5*time.Second) {
		t.Fatalf("got %d mails; want 3", mc.Count())
	}
	ms := mc.Mails()
	if len(ms) != 2 || ms[1].Subject != "Kühlschrank <b>" || ms[1].Seq != 3 || !strings.Contains(ms[1].Body, "Nachricht 3") {
		t.Fatalf("kept mails: got %+v; want the last 2, decoded", ms)
	}
	rec := httptest.NewRecorder()
	mc.Handler(time.UTC).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	for _, want := range []string{"Postfach der Demo", "Kühlschrank &lt;b&gt;", "zwei", "Empfangen: 3"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>") {
		t.Errorf("page does not escape the subject")
	}
}
