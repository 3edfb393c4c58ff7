package mirror

import (
	"time"

	"github.com/lifeline-project/lifeline/internal/check"
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func reasonOf(de, en string) check.Text { return check.Msg(de, en) }
