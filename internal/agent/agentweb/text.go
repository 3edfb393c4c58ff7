package agentweb

import "github.com/lifeline-project/lifeline/internal/check"

// text returns the words of the pages for key (the key itself when
// unknown, so that a missing text shows).
func text(key string) check.Text {
	switch key {
	case "title":
		return check.Msg("Updates", "Updates")
	case "next.title":
		return check.Msg("Nächstes Update", "Next update")
	case "next.none":
		return check.Msg("Kein Update geplant.", "No update planned.")
	case "next.waiting":
		return check.Msg("Warum noch nicht", "Why not yet")
	case "postponed.until":
		return check.Msg("Verschoben bis", "Postponed until")
	case "postpone.button":
		return check.Msg("Update verschieben", "Postpone update")
	case "postpone.hint":
		return check.Msg("Verschiebt das Update hinter dieses Wartungsfenster; der Hersteller plant es dann neu.",
			"Moves the update past this maintenance window; the vendor then plans it anew.")
	case "paused":
		return check.Msg("Updates pausiert", "Updates paused")
	case "pause.title":
		return check.Msg("Updates pausieren", "Pause updates")
	case "pause.hint":
		return check.Msg("Solange pausiert ist, beginnt kein Update – auch nicht auf Wunsch des Herstellers.",
			"While paused, no update begins – not even at the vendor's request.")
	case "pause.reason":
		return check.Msg("Grund (Pflicht)", "Reason (required)")
	case "pause.button":
		return check.Msg("Alle Updates pausieren", "Pause all updates")
	case "resume.button":
		return check.Msg("Updates wieder erlauben", "Allow updates again")
	case "window":
		return check.Msg("Wartungsfenster", "Maintenance window")
	case "installed":
		return check.Msg("Installierte Versionen", "Installed versions")
	case "installed.previous":
		return check.Msg("davor", "before")
	case "installed.none":
		return check.Msg("Noch nichts bekannt.", "Nothing known yet.")
	case "history":
		return check.Msg("Bisherige Updates", "Update history")
	case "history.none":
		return check.Msg("Noch keine Updates.", "No updates yet.")
	case "col.when":
		return check.Msg("Wann", "When")
	case "col.update":
		return check.Msg("Update", "Update")
	case "col.result":
		return check.Msg("Ergebnis", "Result")
	case "col.reason":
		return check.Msg("Grund", "Reason")
	case "col.steps":
		return check.Msg("Einzelschritte", "Steps")
	case "forbidden":
		return check.Msg("Nur Mitarbeiter dürfen Updates verschieben oder pausieren.", "Only staff may postpone or pause updates.")
	case "failed":
		return check.Msg("Das ging nicht; bitte noch einmal versuchen.", "That did not work; please try again.")
	}
	return check.Msg(key, key)
}
