package counterweb

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/counter"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/mirror"
	"github.com/lifeline-project/lifeline/internal/pharma"
	"github.com/lifeline-project/lifeline/internal/web"
)

// Action parameters of GET /counter. Each leads to a new basket and a
// redirect to it, so that a reload repeats nothing.
const (
	actScan    = "q"    // scanned or typed text: PZN, barcode, DataMatrix or a name
	actAdd     = "add"  // PZN chosen from the hit list
	actInc     = "inc"  // one pack more
	actDec     = "dec"  // one pack less
	actDel     = "del"  // remove a line
	actLine    = "lk"   // "PZN:kind": kind of one line
	actKind    = "setk" // prescription kind of the basket
	actMinor   = "setm" // 1: under 18, 0: adult
	actExempt  = "sete" // 1: exempt, 0: not
	actPayment = "setp" // cash or card
	actNew     = "new"  // start a new sale
)

const maxHits = 10

// notice is a message shown on the counter page.
type notice struct {
	Text  string
	Error bool
}

// counterPage serves GET /counter: applies an action, or shows the page.
func (h *Handlers) counterPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := web.Lang(r)
	q := r.URL.Query()
	b, err := counter.ParseBasket(q)
	if err != nil {
		h.show(w, r, http.StatusUnprocessableEntity, counter.Basket{Kind: counter.KindGKV}, nil, "", &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	switch {
	case q.Has(actNew):
		http.Redirect(w, r, "/counter", http.StatusSeeOther)
		return
	case q.Has(actScan):
		h.scan(w, r, b, strings.TrimSpace(q.Get(actScan)))
		return
	case q.Has(actAdd):
		pzn, err := pharma.ParsePZN(q.Get(actAdd))
		if err != nil {
			h.show(w, r, http.StatusUnprocessableEntity, b, nil, "", &notice{pharmaMessage(err, lang), true})
			return
		}
		h.add(w, r, b, pzn, "")
		return
	case q.Has(actInc), q.Has(actDec), q.Has(actDel):
		pzn := pharma.PZN(q.Get(actInc) + q.Get(actDec) + q.Get(actDel))
		if i := b.Find(pzn); i >= 0 {
			switch {
			case q.Has(actInc):
				b = b.SetQty(pzn, b.Lines[i].Qty+1)
			case q.Has(actDec):
				b = b.SetQty(pzn, b.Lines[i].Qty-1)
			default:
				b = b.SetQty(pzn, 0)
			}
		}
	case q.Has(actLine):
		pzn, k, _ := strings.Cut(q.Get(actLine), ":")
		b = b.SetLineKind(pharma.PZN(pzn), counter.Kind(k))
	case q.Has(actKind):
		b = b.SetKind(counter.Kind(q.Get(actKind)), func(p pharma.PZN) bool {
			a, err := h.s.Article(ctx, p)
			return err == nil && a.Rx
		})
	case q.Has(actMinor):
		b.Minor = q.Get(actMinor) == "1"
	case q.Has(actExempt):
		b.Exempt = q.Get(actExempt) == "1"
	case q.Has(actPayment):
		if p := journal.Payment(q.Get(actPayment)); p.Valid() {
			b.Payment = p
		}
	default:
		h.show(w, r, http.StatusOK, b, nil, "", nil)
		return
	}
	redirect(w, r, b)
}

// redirect sends the browser to the page of basket b.
func redirect(w http.ResponseWriter, r *http.Request, b counter.Basket) {
	http.Redirect(w, r, basketURL(b, nil), http.StatusSeeOther)
}

// basketURL returns /counter with the basket and extra parameters.
func basketURL(b counter.Basket, extra url.Values) string {
	v := b.Values()
	for k, vs := range extra {
		v[k] = vs
	}
	if len(v) == 0 {
		return "/counter"
	}
	return "/counter?" + v.Encode()
}

// scan handles the scan field: a code or typed PZN adds the article; a
// name searches and adds a sure hit or lists the hits.
func (h *Handlers) scan(w http.ResponseWriter, r *http.Request, b counter.Basket, text string) {
	lang := web.Lang(r)
	if text == "" {
		h.show(w, r, http.StatusOK, b, nil, "", nil)
		return
	}
	if pzn, err := pharma.PZNFromScan(text); err == nil {
		h.add(w, r, b, pzn, text)
		return
	} else if !hasLetter(text) {
		h.show(w, r, http.StatusUnprocessableEntity, b, nil, text, &notice{pharmaMessage(err, lang), true})
		return
	}
	hits, err := h.s.Search(r.Context(), text, maxHits)
	if err != nil {
		h.show(w, r, statusOf(err), b, nil, text, &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	switch {
	case len(hits) == 0:
		h.show(w, r, http.StatusNotFound, b, nil, text, &notice{check.Msg(
			"Nichts gefunden für „"+text+"“. Anders schreiben, Wortanfang tippen oder PZN scannen.",
			"Nothing found for \""+text+"\". Spell it differently, type the start of a word or scan the PZN.").In(lang), true})
	case len(hits) == 1 || hits[0].Tier == mirror.TierPZN:
		h.add(w, r, b, hits[0].Article.PZN, text)
	default:
		h.show(w, r, http.StatusOK, b, hits, text, &notice{check.Msg(
			strconv.Itoa(len(hits))+" Treffer für „"+text+"“: bitte wählen (Pfeiltasten und Enter, oder anklicken).",
			strconv.Itoa(len(hits))+" hits for \""+text+"\": please choose (arrow keys and Enter, or click).").In(lang), false})
	}
}

// add puts the article with pzn into the basket and redirects, or shows
// why not.
func (h *Handlers) add(w http.ResponseWriter, r *http.Request, b counter.Basket, pzn pharma.PZN, text string) {
	lang := web.Lang(r)
	a, err := h.s.Article(r.Context(), pzn)
	if err != nil {
		h.show(w, r, statusOf(err), b, nil, text, &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	nb, err := b.Add(a.PZN, a.Rx, h.s.Now(), counter.NewBasketKey)
	if err != nil {
		h.show(w, r, statusOf(err), b, nil, "", &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	redirect(w, r, nb)
}

// book serves POST /counter/book.
func (h *Handlers) book(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, counter.Errorf(counter.EINVALID, "Formular nicht lesbar.", "form unreadable"))
		return
	}
	b, err := counter.ParseBasket(r.PostForm)
	if err != nil {
		h.show(w, r, http.StatusUnprocessableEntity, counter.Basket{Kind: counter.KindGKV}, nil, "", &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	e, _, err := h.s.Book(r.Context(), user(r), b)
	if err != nil {
		h.show(w, r, statusOf(err), b, nil, "", &notice{counter.ErrorMessage(err, lang), true})
		return
	}
	http.Redirect(w, r, "/counter/receipt/"+strconv.FormatInt(e.Number, 10), http.StatusSeeOther)
}

// hitJSON is one search hit for the page's script.
type hitJSON struct {
	PZN  string `json:"pzn"`
	Name string `json:"name"`
	Pack string `json:"pack"`
	AVP  string `json:"avp"`
	Rx   string `json:"rx"`
	Href string `json:"href"`
}

// search serves GET /counter/search?q= with the basket's parameters, for
// the live search of the page's script.
func (h *Handlers) search(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	q := r.URL.Query()
	b, err := counter.ParseBasket(q)
	if err != nil {
		b = counter.Basket{}
	}
	text := strings.TrimSpace(q.Get(actScan))
	out := struct {
		Hits []hitJSON `json:"hits"`
	}{Hits: []hitJSON{}}
	if len([]rune(text)) >= 2 {
		hits, err := h.s.Search(r.Context(), text, maxHits)
		if err != nil {
			web.WriteJSON(w, statusOf(err), map[string]string{"error": counter.ErrorMessage(err, lang)})
			return
		}
		for _, hv := range hitViews(hits, b, lang) {
			out.Hits = append(out.Hits, hitJSON{PZN: hv.PZN, Name: hv.Name, Pack: hv.Pack, AVP: hv.AVP, Rx: hv.Rx, Href: hv.Href})
		}
	}
	web.WriteJSON(w, http.StatusOK, out)
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// pharmaMessage returns the sentence of a pharma error in lang.
func pharmaMessage(err error, lang string) string {
	var pe *pharma.Error
	if errors.As(err, &pe) {
		return check.Msg(pe.DE, pe.EN).In(lang)
	}
	return check.Msg("Eingabe nicht lesbar; bitte erneut scannen.", "Input unreadable; please scan again.").In(lang)
}

// show renders the counter page for basket b.
func (h *Handlers) show(w http.ResponseWriter, r *http.Request, status int, b counter.Basket, hits []mirror.Hit, text string, n *notice) {
	v, err := h.counterView(r.Context(), r, b, hits, text, n)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, check.Msg("Notbetrieb – Kasse", "Emergency mode – till"), "counter", v)
}
