import io

import pytest
from django.core.management import call_command

from samverkan.testing import World, build_world


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data (counties, municipalities, their organisations) once per run."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_upload_dir(settings, tmp_path_factory):
    """Uploads kept between import steps go to a fresh directory per test, never var/."""
    settings.IMPORT_UPLOAD_DIR = tmp_path_factory.mktemp("uploads")


@pytest.fixture
def world(db) -> World:
    return build_world()
