# English messages and an English-speaking browser, as in the apps below.
from samverkan.capacity.tests.conftest import _english, client  # noqa: F401 - fixtures, used by name
