package counter

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
	"github.com/lifeline-project/lifeline/internal/journal"
	"github.com/lifeline-project/lifeline/internal/pharma"
)

// Kind is who pays for one line of a sale.
type Kind string

// Sale kinds of a line.
const (
	// KindGKV: a prescription of the statutory health insurance
	// (Kassenrezept): the statutory co-payment applies.
	KindGKV Kind = "gkv"
	// KindPKV: a private prescription: the patient pays the price.
	KindPKV Kind = "pkv"
	// KindOTC: a sale without prescription: the patient pays the price.
	KindOTC Kind = "otc"
)

// Kinds lists the kinds in display order.
func Kinds() []Kind { return []Kind{KindGKV, KindPKV, KindOTC} }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindGKV || k == KindPKV || k == KindOTC }

// Words returns the kind as the counter says it.
func (k Kind) Words() check.Text {
	switch k {
	case KindGKV:
		return check.Msg("Kasse", "Statutory")
	case KindPKV:
		return check.Msg("Privat", "Private")
	default:
		return check.Msg("ohne Rezept", "No prescription")
	}
}

func (k Kind) pharma() pharma.Kind {
	switch k {
	case KindPKV:
		return pharma.KindPrivate
	case KindOTC:
		return pharma.KindOTC
	default:
		return pharma.KindGKV
	}
}

// Line is one article of a basket.
type Line struct {
	PZN  pharma.PZN
	Qty  int
	Kind Kind
}

// Basket is a sale being put together at the counter. It lives in the page
// (query string and form fields), not on the server: every action turns
// one basket into the next, so a reload, the back button or a second tab
// cannot lose or corrupt it, and the page works without JavaScript.
type Basket struct {
	Lines []Line
	// Kind is the prescription kind new prescription-only lines get.
	Kind Kind
	// Minor: the patient is under 18 (no co-payment).
	Minor bool
	// Exempt: the patient shows an exemption certificate (Befreiung).
	Exempt bool
	// Payment is "" until chosen.
	Payment journal.Payment
	// Key is the idempotency key, made when the first article is added.
	Key string
	// Start is when the first article was added.
	Start time.Time
	// Last is the article shown on the card.
	Last pharma.PZN
}

// Query parameters of a basket.
const (
	paramLines   = "i"
	paramKind    = "k"
	paramMinor   = "u18"
	paramExempt  = "bef"
	paramPayment = "pay"
	paramKey     = "key"
	paramStart   = "t"
	paramLast    = "last"
)

// BasketParams lists the query parameters that carry a basket.
func BasketParams() []string {
	return []string{paramLines, paramKind, paramMinor, paramExempt, paramPayment, paramKey, paramStart, paramLast}
}

// ParseBasket reads a basket from query or form values. Errors are
// EINVALID; the page then starts a new basket.
func ParseBasket(v url.Values) (Basket, error) {
	bad := func(de, en string) (Basket, error) {
		return Basket{}, Errorf(EINVALID, "Warenkorb nicht lesbar ("+de+"); bitte neu beginnen.", "basket unreadable ("+en+"); please start again")
	}
	b := Basket{Kind: KindGKV}
	if k := v.Get(paramKind); k != "" {
		b.Kind = Kind(k)
		if !b.Kind.Valid() {
			return bad("Rezeptart", "prescription kind")
		}
	}
	if s := v.Get(paramLines); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) > journal.MaxItems {
			return bad("zu viele Artikel", "too many items")
		}
		seen := map[pharma.PZN]bool{}
		for _, p := range parts {
			f := strings.Split(p, ":")
			if len(f) != 3 {
				return bad("Zeile", "line")
			}
			pzn, err := pharma.ParsePZN(f[0])
			if err != nil || string(pzn) != f[0] || seen[pzn] {
				return bad("PZN", "PZN")
			}
			seen[pzn] = true
			q, err := strconv.Atoi(f[1])
			if err != nil || q < 1 || q > journal.MaxQty {
				return bad("Menge", "quantity")
			}
			k := Kind(f[2])
			if !k.Valid() {
				return bad("Rezeptart", "prescription kind")
			}
			b.Lines = append(b.Lines, Line{PZN: pzn, Qty: q, Kind: k})
		}
	}
	b.Minor = v.Get(paramMinor) == "1"
	b.Exempt = v.Get(paramExempt) == "1"
	if p := journal.Payment(v.Get(paramPayment)); p != "" {
		if !p.Valid() {
			return bad("Zahlart", "payment")
		}
		b.Payment = p
	}
	if k := v.Get(paramKey); k != "" {
		if journal.ValidateKey(k) != nil {
			return bad("Schlüssel", "key")
		}
		b.Key = k
	}
	if t := v.Get(paramStart); t != "" {
		sec, err := strconv.ParseInt(t, 10, 64)
		if err != nil || sec < 0 {
			return bad("Startzeit", "start time")
		}
		b.Start = time.Unix(sec, 0).UTC()
	}
	if l := v.Get(paramLast); l != "" {
		pzn, err := pharma.ParsePZN(l)
		if err != nil {
			return bad("PZN", "PZN")
		}
		b.Last = pzn
	}
	if len(b.Lines) > 0 && b.Key == "" {
		return bad("Schlüssel fehlt", "key missing")
	}
	return b, nil
}

// Values returns the basket as query values; defaults are left out.
func (b Basket) Values() url.Values {
	v := url.Values{}
	if len(b.Lines) > 0 {
		parts := make([]string, len(b.Lines))
		for i, l := range b.Lines {
			parts[i] = string(l.PZN) + ":" + strconv.Itoa(l.Qty) + ":" + string(l.Kind)
		}
		v.Set(paramLines, strings.Join(parts, ","))
	}
	if b.Kind != "" && b.Kind != KindGKV {
		v.Set(paramKind, string(b.Kind))
	}
	if b.Minor {
		v.Set(paramMinor, "1")
	}
	if b.Exempt {
		v.Set(paramExempt, "1")
	}
	if b.Payment != "" {
		v.Set(paramPayment, string(b.Payment))
	}
	if b.Key != "" {
		v.Set(paramKey, b.Key)
	}
	if !b.Start.IsZero() {
		v.Set(paramStart, strconv.FormatInt(b.Start.Unix(), 10))
	}
	if b.Last != "" {
		v.Set(paramLast, string(b.Last))
	}
	return v
}

// Empty reports whether the basket has no lines.
func (b Basket) Empty() bool { return len(b.Lines) == 0 }

// Find returns the index of the line with pzn, or -1.
func (b Basket) Find(pzn pharma.PZN) int {
	for i, l := range b.Lines {
		if l.PZN == pzn {
			return i
		}
	}
	return -1
}

func (b Basket) clone() Basket {
	b.Lines = append([]Line(nil), b.Lines...)
	return b
}

// DefaultKind is the kind a new line of an article gets: the basket's kind
// for prescription-only articles; "ohne Rezept" for others in a
// Kassenrezept basket (most such sales are over the counter; a line can be
// switched).
func (b Basket) DefaultKind(rx bool) Kind {
	k := b.Kind
	if !k.Valid() {
		k = KindGKV
	}
	if !rx && k == KindGKV {
		return KindOTC
	}
	return k
}

// Add puts one pack of an article into the basket (a second scan adds a
// pack) and shows it on the card. The first article makes the key and the
// start time. Errors: EINVALID when the basket or the line is full.
func (b Basket) Add(pzn pharma.PZN, rx bool, now time.Time, key func() string) (Basket, error) {
	b = b.clone()
	if i := b.Find(pzn); i >= 0 {
		if b.Lines[i].Qty >= journal.MaxQty {
			return b, Errorf(EINVALID, "Mehr Packungen gehen nicht in eine Zeile.", "No more packs fit into one line.")
		}
		b.Lines[i].Qty++
		b.Last = pzn
		return b, nil
	}
	if len(b.Lines) >= journal.MaxItems {
		return b, Errorf(EINVALID, "Der Warenkorb ist voll; bitte erst buchen.", "The basket is full; please book first.")
	}
	if len(b.Lines) == 0 || b.Key == "" {
		b.Key = key()
		b.Start = now.UTC().Truncate(time.Second)
	}
	b.Lines = append(b.Lines, Line{PZN: pzn, Qty: 1, Kind: b.DefaultKind(rx)})
	b.Last = pzn
	return b, nil
}

// SetQty sets the packs of a line; 0 removes it.
func (b Basket) SetQty(pzn pharma.PZN, qty int) Basket {
	b = b.clone()
	i := b.Find(pzn)
	if i < 0 {
		return b
	}
	if qty <= 0 {
		b.Lines = append(b.Lines[:i], b.Lines[i+1:]...)
		if b.Last == pzn {
			b.Last = ""
		}
		return b
	}
	b.Lines[i].Qty = min(qty, journal.MaxQty)
	return b
}

// SetLineKind changes the kind of one line.
func (b Basket) SetLineKind(pzn pharma.PZN, k Kind) Basket {
	b = b.clone()
	if i := b.Find(pzn); i >= 0 && k.Valid() {
		b.Lines[i].Kind = k
		b.Last = pzn
	}
	return b
}

// SetKind sets the basket's prescription kind and applies it to every
// line, the way DefaultKind would for a new one; rx tells whether an
// article is prescription-only.
func (b Basket) SetKind(k Kind, rx func(pharma.PZN) bool) Basket {
	b = b.clone()
	if !k.Valid() {
		return b
	}
	b.Kind = k
	for i := range b.Lines {
		b.Lines[i].Kind = b.DefaultKind(rx(b.Lines[i].PZN))
	}
	return b
}
