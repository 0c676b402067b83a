""" "Call me back" on the shop's website: a public endpoint and the widget a shop puts on its
pages. A visitor leaves a number (and maybe an order number and a name); a callback task is
made or brought up to date, and within the shop's working hours a free manager's phone rings
at once, then the visitor's. Outside them the visitor is told when the shop will call."""
