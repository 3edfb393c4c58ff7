package counterweb

import "github.com/lifeline-project/lifeline/internal/check"

// tr is a language ("de" or "en") with the catalogue lookup for
// templates: {{.L.T "key"}}.
type tr string

// T returns the text of key in the language; an unknown key shows as
// ??key?? so that a test finds it.
func (l tr) T(key string) string { return text(key).In(string(l)) }

// text is the catalogue of the counter pages' fixed texts.
func text(key string) check.Text {
	switch key {
	// emergency mode
	case "mode.on":
		return check.Msg("Notbetrieb aktiv", "Emergency mode active")
	case "mode.since":
		return check.Msg("seit", "since")
	case "mode.off":
		return check.Msg("Notbetrieb ist aus.", "Emergency mode is off.")
	case "mode.down":
		return check.Msg("Ausgefallen:", "Down:")
	case "mode.off.hint":
		return check.Msg("Preise nachsehen geht immer; gebucht wird nur im Notbetrieb.", "Looking up prices always works; sales are booked only in emergency mode.")
	case "mode.reason":
		return check.Msg("Grund", "Reason")
	case "mode.switch.on":
		return check.Msg("Notbetrieb einschalten", "Switch on emergency mode")
	case "mode.switch.off":
		return check.Msg("Notbetrieb ausschalten", "Switch off emergency mode")
	case "mode.history":
		return check.Msg("Verlauf des Notbetriebs", "Emergency mode history")
	case "stand.old":
		return check.Msg("Preise mit Vorsicht verwenden", "use the prices with care")
	case "links.erezept":
		return check.Msg("E-Rezepte vormerken", "Queue E-Rezepte")
	case "replay.link":
		return check.Msg("Offline-Verkäufe übertragen", "Hand over offline sales")
	// scan
	case "scan.label":
		return check.Msg("PZN scannen oder Artikelnamen tippen", "Scan the PZN or type the article name")
	case "scan.go":
		return check.Msg("Übernehmen", "Enter")
	case "scan.hint":
		return check.Msg("Enter übernimmt · bei der Namenssuche mit ↑ ↓ wählen · Esc leert das Feld",
			"Enter takes it · choose name hits with ↑ ↓ · Esc clears the field")
	case "hits.label":
		return check.Msg("Treffer", "Hits")
	// article card
	case "card.empty":
		return check.Msg("Noch kein Artikel: Packung scannen oder Namen tippen.", "No article yet: scan a pack or type a name.")
	case "card.pack":
		return check.Msg("Packung", "Pack")
	case "card.maker":
		return check.Msg("Hersteller", "Manufacturer")
	case "card.status":
		return check.Msg("Abgabe", "Dispensing")
	case "card.avp":
		return check.Msg("Apothekenverkaufspreis (AVP)", "Pharmacy retail price (AVP)")
	case "card.festbetrag":
		return check.Msg("Festbetrag", "Reference price (Festbetrag)")
	case "card.nofestbetrag":
		return check.Msg("kein Festbetrag", "no Festbetrag")
	case "card.listexempt":
		return check.Msg("zuzahlungsbefreit (GKV-Liste)", "co-payment exempt (GKV list)")
	case "card.kind":
		return check.Msg("Rezeptart", "Prescription")
	case "card.copay":
		return check.Msg("Zuzahlung", "Co-payment")
	case "card.mehrkosten":
		return check.Msg("Mehrkosten über Festbetrag", "Extra cost above Festbetrag")
	case "card.pay":
		return check.Msg("Patient zahlt je Packung", "Patient pays per pack")
	case "card.why":
		return check.Msg("Begründung", "Why")
	// basket
	case "basket.title":
		return check.Msg("Verkauf", "Sale")
	case "basket.patient":
		return check.Msg("Patient", "Patient")
	case "basket.kind":
		return check.Msg("Rezeptart", "Prescription")
	case "basket.empty":
		return check.Msg("Der Warenkorb ist leer.", "The basket is empty.")
	case "basket.article":
		return check.Msg("Artikel", "Article")
	case "basket.qty":
		return check.Msg("Menge", "Qty")
	case "basket.price":
		return check.Msg("AVP", "AVP")
	case "basket.copay":
		return check.Msg("Zuzahlung", "Co-pay")
	case "basket.pay":
		return check.Msg("zu zahlen", "to pay")
	case "basket.less":
		return check.Msg("eine Packung weniger", "one pack less")
	case "basket.more":
		return check.Msg("eine Packung mehr", "one pack more")
	case "basket.remove":
		return check.Msg("entfernen", "remove")
	case "basket.missing":
		return check.Msg("Nicht in den Preisdaten, bitte entfernen:", "Not in the price data, please remove:")
	case "total.price":
		return check.Msg("Summe AVP", "Total AVP")
	case "total.copay":
		return check.Msg("Zuzahlungen", "Co-payments")
	case "total.mehrkosten":
		return check.Msg("Mehrkosten", "Extra cost")
	case "total.pay":
		return check.Msg("Zu zahlen", "To pay")
	case "pay.title":
		return check.Msg("Zahlart", "Payment")
	case "book":
		return check.Msg("Buchen", "Book")
	case "newsale":
		return check.Msg("Neuer Verkauf", "New sale")
	case "keys.title":
		return check.Msg("Tasten", "Keys")
	case "keys.list":
		return check.Msg("F2 Bar · F3 Karte · F4 unter 18/Erwachsen · F8 Befreit · F9 Buchen · Esc Feld leeren",
			"F2 cash · F3 card · F4 under 18/adult · F8 exempt · F9 book · Esc clear field")
	// receipt
	case "receipt.no":
		return check.Msg("Beleg Nr.", "Receipt no.")
	case "receipt.emergency":
		return check.Msg("Verkauf im Notbetrieb", "Sale in emergency mode")
	case "receipt.tse":
		return check.Msg("TSE-Ausfall — Notbetrieb, Beleg ohne TSE-Signatur.", "TSE failure — emergency mode, receipt without TSE signature.")
	case "receipt.notse":
		return check.Msg("Dieser Beleg ersetzt keine zertifizierte TSE; der Ausfall ist dokumentiert, der Verkauf wird in der Warenwirtschaft nachgebucht.",
			"This receipt does not replace a certified TSE; the failure is documented and the sale is booked in the pharmacy system later.")
	case "receipt.minor":
		return check.Msg("Patient unter 18 Jahren", "Patient under 18")
	case "receipt.exempt":
		return check.Msg("Patient befreit (Befreiungsbescheid)", "Patient exempt (exemption certificate)")
	case "receipt.payment":
		return check.Msg("Zahlart", "Payment")
	case "receipt.staff":
		return check.Msg("Bedient von", "Served by")
	case "receipt.register":
		return check.Msg("Kasse Seriennr.", "Register serial no.")
	case "receipt.tseserial":
		return check.Msg("TSE Seriennr.", "TSE serial no.")
	case "receipt.hash":
		return check.Msg("Prüfwert (Journal)", "Check value (journal)")
	case "receipt.print":
		return check.Msg("Drucken", "Print")
	case "receipt.partial":
		return check.Msg("Angaben aus dem Journal (Details des Verkaufs fehlen).", "Taken from the journal (the sale's details are missing).")
	case "receipt.total":
		return check.Msg("Summe AVP", "Total AVP")
	case "receipt.copay":
		return check.Msg("Zuzahlung", "Co-payment")
	case "receipt.mehrkosten":
		return check.Msg("Mehrkosten", "Extra cost")
	case "receipt.pay":
		return check.Msg("Zu zahlen", "To pay")
	case "receipt.each":
		return check.Msg("je", "each")
	// E-Rezept queue
	case "ez.scan":
		return check.Msg("E-Rezept-Code scannen (Ausdruck der Patientin/des Patienten)", "Scan the E-Rezept code (the patient's printout)")
	case "ez.contact":
		return check.Msg("Name oder Telefon (für den Rückruf)", "Name or phone (to call back)")
	case "ez.urgent":
		return check.Msg("dringend", "urgent")
	case "ez.note":
		return check.Msg("Hinweis, z. B. „dringend: Antibiotikum“", "Note, e.g. \"urgent: antibiotic\"")
	case "ez.add":
		return check.Msg("Vormerken", "Queue")
	case "ez.form":
		return check.Msg("Neues E-Rezept vormerken", "Queue a new E-Rezept")
	case "ez.none":
		return check.Msg("Keine E-Rezepte in der Warteschlange.", "No E-Rezepte in the queue.")
	case "ez.col.priority":
		return check.Msg("Priorität", "Priority")
	case "ez.col.contact":
		return check.Msg("Kontakt", "Contact")
	case "ez.col.rezept":
		return check.Msg("Rezept", "Prescription")
	case "ez.col.since":
		return check.Msg("vorgemerkt", "queued")
	case "ez.col.actions":
		return check.Msg("erledigen", "handle")
	case "ez.col.status":
		return check.Msg("Stand", "Status")
	case "ez.urgent.word":
		return check.Msg("DRINGEND", "URGENT")
	case "ez.normal":
		return check.Msg("normal", "normal")
	case "ez.done":
		return check.Msg("Eingelöst", "Redeemed")
	case "ez.returned":
		return check.Msg("Zurückgegeben", "Returned")
	case "ez.token":
		return check.Msg("Zugangscode", "Access code")
	case "ez.handled":
		return check.Msg("In den letzten 24 Stunden erledigt", "Handled in the last 24 hours")
	case "ez.log":
		return check.Msg("Zugriffsprotokoll", "Access log")
	case "ez.logged":
		return check.Msg("Gespeichert verschlüsselt. Jeder Aufruf dieser Liste und jedes Anzeigen eines Zugangscodes wird mit Name und Uhrzeit protokolliert.",
			"Stored encrypted. Every view of this list and every access code shown is logged with name and time.")
	case "ez.handover":
		return check.Msg("Eingelöst wird in der Warenwirtschaft (Code erneut scannen oder Zugangscode eingeben); danach hier abhaken.",
			"Redeem in the pharmacy system (scan the code again or enter the access code); then tick it off here.")
	case "ez.by":
		return check.Msg("von", "by")
	// token page
	case "tok.rezept":
		return check.Msg("Rezept-ID", "Prescription ID")
	case "tok.flow":
		return check.Msg("Art", "Type")
	case "tok.code":
		return check.Msg("Zugangscode", "Access code")
	case "tok.text":
		return check.Msg("Token für die Eingabe in der Warenwirtschaft", "Token to enter in the pharmacy system")
	case "tok.secret":
		return check.Msg("Der Zugangscode ist geheim: nicht weitergeben und nicht notieren. Dieser Aufruf wurde protokolliert.",
			"The access code is secret: do not pass it on or write it down. This view was logged.")
	case "tok.back":
		return check.Msg("Zurück zur Liste", "Back to the list")
	case "tok.contact":
		return check.Msg("Kontakt", "Contact")
	// access log
	case "log.at":
		return check.Msg("Zeit", "Time")
	case "log.user":
		return check.Msg("Benutzer", "User")
	case "log.action":
		return check.Msg("Aktion", "Action")
	case "log.subject":
		return check.Msg("Betrifft", "Concerns")
	case "log.none":
		return check.Msg("Noch keine Zugriffe.", "No access yet.")
	// replay
	case "rp.journal":
		return check.Msg("Verkäufe im Journal", "Sales in the journal")
	case "rp.handed":
		return check.Msg("übertragen", "handed over")
	case "rp.pending":
		return check.Msg("noch offen", "still open")
	case "rp.target":
		return check.Msg("Ziel", "Target")
	case "rp.start":
		return check.Msg("Offline-Verkäufe an die Warenwirtschaft übertragen", "Hand the offline sales over to the pharmacy system")
	case "rp.running":
		return check.Msg("Übertragung läuft …", "Hand-over running …")
	case "rp.refresh":
		return check.Msg("Aktualisieren", "Refresh")
	case "rp.report":
		return check.Msg("Bericht der letzten Übertragung", "Report of the last hand-over")
	case "rp.booked":
		return check.Msg("gebucht", "booked")
	case "rp.refused":
		return check.Msg("abgelehnt", "refused")
	case "rp.open":
		return check.Msg("offen", "open")
	case "rp.thisrun":
		return check.Msg("davon in diesem Lauf", "of them in this run")
	case "rp.refusals":
		return check.Msg("Abgelehnt und warum", "Refused and why")
	case "rp.refusals.hint":
		return check.Msg("Diese Verkäufe bitte von Hand in der Warenwirtschaft buchen.", "Please book these sales by hand in the pharmacy system.")
	case "rp.complete":
		return check.Msg("Alles übertragen.", "Everything handed over.")
	case "rp.complete.refused":
		return check.Msg("Alles übergeben; die abgelehnten Verkäufe unten bitte von Hand buchen.", "Everything handed over; please book the refused sales below by hand.")
	case "rp.none":
		return check.Msg("Noch keine Übertragung.", "No hand-over yet.")
	case "rp.safe":
		return check.Msg("Mehrfaches Drücken ist sicher: schon übertragene Verkäufe werden nicht noch einmal gebucht.",
			"Pressing twice is safe: sales handed over already are not booked again.")
	case "rp.col.number":
		return check.Msg("Beleg", "Receipt")
	case "rp.col.start":
		return check.Msg("Zeit", "Time")
	case "rp.col.total":
		return check.Msg("Betrag (AVP)", "Amount (AVP)")
	case "rp.col.reason":
		return check.Msg("Grund", "Reason")
	case "rp.col.erp":
		return check.Msg("Buchung in der Warenwirtschaft", "Booking in the pharmacy system")
	case "rp.bookings":
		return check.Msg("Gebuchte Verkäufe (neueste zuerst)", "Booked sales (newest first)")
	case "rp.stopped":
		return check.Msg("Abgebrochen:", "Stopped:")
	case "rp.blocked":
		return check.Msg("Jetzt nicht möglich:", "Not possible now:")
	case "rp.started":
		return check.Msg("gestartet", "started")
	case "hist.state":
		return check.Msg("Notbetrieb", "Emergency mode")
	case "hist.by":
		return check.Msg("von", "by")
	// misc
	case "back.counter":
		return check.Msg("Zur Kasse", "To the till")
	case "error.title":
		return check.Msg("Das hat nicht geklappt", "That did not work")
	}
	return check.Msg("??"+key+"??", "??"+key+"??")
}
