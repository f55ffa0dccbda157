"""JupyterHub configuration for `make hub`: a demo hub for the kit on this machine's loopback address.

FOR TRYING THE KIT AND FOR THE TESTS ONLY. Anyone who knows the shared password logs in as any listed user, and
every user's server runs as the user who started the hub, in a folder under the hub's state folder. A real course
runs JupyterHub with its university's login (an OAuth/LTI/LDAP authenticator) and a spawner that isolates
students (Kubernetes through Zero to JupyterHub, or The Littlest JupyterHub's system users): see INSTRUCTORS.md,
"Running a large course".

Everything is read from environment variables that hub/hubctl.py sets (defaults in brackets):
  H2M_HUB_STATE     folder for the hub's database, cookie secret, pid files and the users' home folders [hub/state]
  H2M_HUB_PORT      the port students open on 127.0.0.1 [8000]; the hub's API and the proxy's API use the two
                    ports above it
  H2M_HUB_USERS     space-separated user names [student1 student2 student3 instructor]
  H2M_HUB_PASSWORD  the one password of the demo users [hype-demo]
  H2M_HUB_LAB_SETTINGS  (tests) a JupyterLab user-settings folder for every user's server
"""

import os
from pathlib import Path

HUB = Path(__file__).resolve().parent
KIT = HUB.parent
STATE = Path(os.environ.get("H2M_HUB_STATE", HUB / "state")).resolve()
PORT = int(os.environ.get("H2M_HUB_PORT", "8000"))
USERS = os.environ.get("H2M_HUB_USERS", "student1 student2 student3 instructor").split()
VENV_BIN = Path(os.environ.get("H2M_HUB_VENV", HUB / ".venv")) / "bin"

c = get_config()  # noqa: F821  (injected by JupyterHub)

# Loopback only: nothing of the demo hub is reachable from another machine.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = PORT + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 2}"
# configurable-http-proxy from the npm registry, installed into hub/node_modules by `make hub-setup`.
c.ConfigurableHTTPProxy.command = [str(HUB / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
# Stopping the hub stops the proxy and every user's server (JupyterHub's defaults, stated here on purpose).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# DEMO LOGIN: JupyterHub's DummyAuthenticator, one shared password, a fixed list of users. Never for real students.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("H2M_HUB_PASSWORD", "hype-demo")
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = {"instructor"} & set(USERS)

# Each user's server: JupyterLab from hub/.venv, which holds the kit's pinned environment and the kit itself
# (the same packages as `make lab`), started in the user's own folder under the state folder.
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: no system users needed
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90
args = ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
if os.geteuid() == 0:
    args.append("--ServerApp.allow_root=True")  # the demo hub started as root (as on the test machines)
if os.environ.get("H2M_HUB_LAB_SETTINGS"):
    # The browser test reads JupyterLab's application object, as tests/browser does.
    args.append("--LabApp.expose_app_in_browser=True")
c.Spawner.args = args
environment = {
    "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",  # git for nbgitpuller, the venv's tools
    "H2M_HUB_STATE": str(STATE),  # marks every process of this hub, so `hubctl.py stop` finds leftovers
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}
# nbgrader's exchange for the demo course "hype": a shared folder under the state folder. Every server here runs as
# one Unix user, so each student's submissions are named by their hub login (on a real hub each student is a user
# of their own and nbgrader needs none of this).
EXCHANGE = STATE / "exchange"
EXCHANGE.mkdir(parents=True, exist_ok=True)
EXCHANGE.chmod(0o777)
(STATE / "jupyter-config").mkdir(parents=True, exist_ok=True)
(STATE / "jupyter-config" / "nbgrader_config.py").write_text(
    "import os\n"
    "c = get_config()  # noqa: F821\n"
    f"c.Exchange.root = {str(EXCHANGE)!r}\n"
    'c.CourseDirectory.course_id = "hype"\n'
    'if os.environ.get("JUPYTERHUB_USER", "instructor") != "instructor":\n'
    '    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]\n',
    encoding="utf-8",
)
environment["JUPYTER_CONFIG_PATH"] = str(STATE / "jupyter-config")
if os.environ.get("H2M_HUB_LAB_SETTINGS"):
    environment["JUPYTERLAB_SETTINGS_DIR"] = os.environ["H2M_HUB_LAB_SETTINGS"]
c.Spawner.environment = environment
