package sim

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/lifeline-project/lifeline/internal/check"
)

// controlPage renders the control page: plain HTML forms, no script, no
// external assets.
type controlPage struct {
	tmpl *template.Template
}

func newControlPage() *controlPage {
	return &controlPage{tmpl: template.Must(template.New("control").Parse(controlHTML))}
}

// pageData is what the template shows, already in the page's language.
type pageData struct {
	Lang, Title, Heading, Intro, Watch string
	OtherLang, OtherHref, WhereLabel   string
	Token                              string
	Deps                               []pageDep
}

type pageDep struct {
	Name, Title, Address, Effect string
	State, StateWord, Symbol     string
	Buttons                      []pageButton
}

type pageButton struct {
	Mode, Label string
	Current     bool
}

func (c *controlPage) render(w http.ResponseWriter, r *http.Request, p *Pharmacy) {
	lang := langOf(r)
	tr := func(de, en string) string { return check.Msg(de, en).In(lang) }
	d := pageData{
		Lang:    lang,
		Title:   tr("Simulation: ", "Simulation: ") + p.name,
		Heading: p.name + tr(" (Simulation)", " (simulation)"),
		Intro: tr(
			"Hier lassen Sie die Technik dieser simulierten Apotheke ausfallen, verlangsamen oder reparieren. Es ist alles nur gespielt: kein echtes Gerät ist betroffen.",
			"Here you break, slow down or repair the technology of this simulated pharmacy. It is all make-believe: no real device is touched."),
		Watch: tr(
			"Was Sie im Dashboard sehen: Nach etwa zwei Prüfungen steht eine ausgefallene Komponente dort als „ausgefallen“. Was von ihr abhängt, erscheint als Folge mit der Ursache, zum Beispiel „E-Rezept gestört … Ursache: Konnektor ausgefallen“. Nach „Reparieren“ wird sie nach zwei erfolgreichen Prüfungen wieder „in Ordnung“.",
			"What you see on the dashboard: after about two checks a broken component shows as \"down\". What depends on it shows as a consequence with its cause, for example \"E-Rezept disrupted … cause: Konnektor down\". After \"Repair\" it turns \"OK\" again after two successful checks."),
		WhereLabel: tr("Adresse", "Address"),
		Token:      p.token,
	}
	if lang == "en" {
		d.OtherLang, d.OtherHref = "Deutsch", "?lang=de"
	} else {
		d.OtherLang, d.OtherHref = "English", "?lang=en"
	}
	for _, dp := range p.deps {
		info := p.info(dp)
		pd := pageDep{
			Name:      info.Name,
			Title:     dp.title.In(lang),
			Address:   info.Address,
			Effect:    info.Effect.In(lang),
			State:     string(info.Mode),
			StateWord: check.State(info.Mode).Words().In(lang),
			Symbol:    modeSymbol(info.Mode),
		}
		for _, m := range []Mode{ModeDown, ModeDegraded, ModeOK} {
			if !supports(dp, m) {
				continue
			}
			label := ""
			switch m {
			case ModeDown:
				label = tr("Ausfallen lassen", "Break")
			case ModeDegraded:
				label = dp.degradeLabel.In(lang)
			default:
				label = tr("Reparieren", "Repair")
			}
			pd.Buttons = append(pd.Buttons, pageButton{Mode: string(m), Label: label, Current: m == info.Mode})
		}
		d.Deps = append(d.Deps, pd)
	}
	var b bytes.Buffer
	if err := c.tmpl.Execute(&b, d); err != nil {
		p.log.Error("control page: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(b.Bytes())
}

// modeSymbol is a sign shown beside the state word, so that the state is
// never told by colour alone.
func modeSymbol(m Mode) string {
	switch m {
	case ModeOK:
		return "✓"
	case ModeDegraded:
		return "!"
	default:
		return "✕"
	}
}

const controlHTML = `<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 52rem; padding: 0 1rem; color: #1a1a1a; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
.lang { float: right; }
.watch { background: #eef3fb; border-left: 4px solid #2a5db0; padding: .6rem .9rem; }
form.dep { border: 1px solid #ccc; border-radius: 6px; padding: .6rem .9rem; margin: .8rem 0; }
form.dep h2 { font-size: 1.1rem; margin: 0 0 .3rem; }
.state { font-weight: bold; padding: .1rem .5rem; border-radius: 4px; }
.state-ok { background: #dff3e3; color: #14532d; }
.state-degraded { background: #fff1c9; color: #6b4500; }
.state-down { background: #fbdada; color: #7f1d1d; }
.addr { color: #555; font-size: .85rem; }
button { font-size: 1rem; margin: .3rem .4rem 0 0; padding: .35rem .8rem; cursor: pointer; }
button.current { outline: 3px solid #2a5db0; }
</style>
</head>
<body>
<a class="lang" href="{{.OtherHref}}">{{.OtherLang}}</a>
<h1>{{.Heading}}</h1>
<p>{{.Intro}}</p>
<p class="watch" id="watch">{{.Watch}}</p>
{{range .Deps}}
<form class="dep" id="dep-{{.Name}}" method="post">
<input type="hidden" name="dep" value="{{.Name}}">
<input type="hidden" name="token" value="{{$.Token}}">
<h2>{{.Title}}</h2>
<p><span class="state state-{{.State}}" id="state-{{.Name}}" data-mode="{{.State}}"><span aria-hidden="true">{{.Symbol}}</span> {{.StateWord}}</span> {{.Effect}}</p>
<p class="addr">{{$.WhereLabel}}: {{.Address}}</p>
{{range .Buttons}}<button type="submit" name="mode" value="{{.Mode}}"{{if .Current}} class="current" aria-pressed="true"{{end}}>{{.Label}}</button>
{{end}}</form>
{{end}}
</body>
</html>
`
