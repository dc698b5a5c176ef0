from pathlib import Path
from setuptools import find_namespace_packages
from setuptools import setup


HERE = Path(__file__).parent
long_description = "\n\n".join(
    (HERE / name).read_text(encoding="utf-8") for name in ("README.rst", "CHANGES.rst")
)

setup(
    name="slc.clicktracker",
    version="1.0.0.dev0",
    description="Records which members actually viewed which Plone documents.",
    long_description=long_description,
    long_description_content_type="text/x-rst",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Environment :: Web Environment",
        "Framework :: Plone",
        "Framework :: Plone :: 6.2",
        "Framework :: Plone :: Addon",
        "Programming Language :: Python :: 3.11",
    ],
    keywords="Plone tracking audit PostgreSQL",
    license="GPL-2.0-only",
    packages=find_namespace_packages("src", include=["slc", "slc.*"]),
    package_dir={"": "src"},
    include_package_data=True,
    zip_safe=False,
    python_requires=">=3.11",
    install_requires=[
        "Products.CMFPlone>=6.2",
        "crawler-user-agents>=1.67.0",
        "plone.api",
        "plone.app.registry",
        "plone.app.z3cform",
        "plone.autoform",
        "plone.base",
        "plone.browserlayer",
        "plone.keyring",
        "plone.protect",
        "plone.registry",
        # The REST API (restapi/); part of every Plone 6 distribution.
        "plone.rest",
        "plone.restapi",
        "psycopg2",
        "setuptools",
        "z3c.form",
    ],
    extras_require={
        "test": [
            "playwright",
            "plone.app.contenttypes",
            "plone.app.testing",
            "plone.testing",
            "pytest",
            "pytest-plone",
            "pytest-postgresql",
            "aiosmtpd",
            "requests",
            "zope.testbrowser",
        ],
        "dev": [
            "i18ndude",
            "plone.recipe.zope2instance",
            "ruff",
            "zc.buildout",
            "zpretty",
        ],
        # The Plone site around the add-on (demo, tests, buildout): the
        # Classic UI distribution, without which the Zope root offers no way
        # to create a site, and HTTP caching as production sites run it.
        # Both are the site's choice, so no requirement of the add-on.
        "site": [
            "plone.app.caching",
            "plone.classicui",
        ],
    },
    entry_points={
        "z3c.autoinclude.plugin": ["target = plone"],
        "console_scripts": [
            "clicktracker-purge = slc.clicktracker.storage.cli:purge",
            "clicktracker-privacy = slc.clicktracker.storage.privacy_cli:main",
            "clicktracker-remind = slc.clicktracker.reminders.cli:run",
        ],
    },
)
