"""The operator console: the patrol in a browser, served by the station (issue 15).

Light on purpose: importing the package loads nothing; :mod:`gridpatrol.console.app` builds the web app,
:mod:`gridpatrol.console.server` serves it beside ``gridpatrol run`` and ``demo``.
"""
